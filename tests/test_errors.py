"""Domain errors keep their message, location and hint across processes (batch workers)."""

from __future__ import annotations

import pickle

import pytest

from gis import errors as e


@pytest.mark.parametrize("cls", [e.InputFileError, e.MissingCRSError, e.SchemaError, e.NoOverlapError])
def test_domain_error_survives_pickling(cls):
    err = cls("field 'area_mu' is NaN", where="parcels.gpkg, feature 3", hint="fill it in")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls
    assert (back.message, back.where, back.hint) == (err.message, err.where, err.hint)
    assert str(back) == "parcels.gpkg, feature 3: field 'area_mu' is NaN — fill it in"
