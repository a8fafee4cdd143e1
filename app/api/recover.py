"""At server start: put right what a stopped or killed server left unfinished (:mod:`app.db.recovery`).

:func:`recover` marks unfinished batch jobs and score runs ``interrupted`` in one write
transaction and then, by ``Settings.interrupted_job_inputs``, keeps or deletes the uploaded inputs
of interrupted jobs. ``parksite serve`` (before uvicorn starts) and the app's startup call it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from app.api.tx import write_transaction
from app.db.recovery import Recovery, delete_input_files, recover_unfinished
from app.settings import Settings


def recover(factory: sessionmaker[Session], settings: Settings) -> Recovery:
    """Mark unfinished jobs and score runs interrupted and apply the inputs policy; return what
    was done (``Recovery.lines()`` says it)."""
    with write_transaction(factory) as session:
        found = recover_unfinished(session, inputs=settings.interrupted_job_inputs)
    delete_input_files(found.inputs_deleted)
    return found
