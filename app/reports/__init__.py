"""Printed documents: PDF reports assembled from the scoring results and the zone's layers.

``render`` turns a Jinja2 template (``templates/``) into a PDF with WeasyPrint; ``parcel`` is
the 地块选址报告 (parcel site report); ``sources`` reads what a report needs from the zone files.
"""
