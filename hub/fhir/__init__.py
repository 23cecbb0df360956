"""FHIR R4 import: a Bundle of patients, caregivers, staff, care teams, comprehensive care
plans (activities, goals, prognoses), conditions, medications, allergies and consents.

Modules, in the order an import runs: ``bundle`` (read and validate entries with the R4B
models), ``refs`` and ``links`` (resolve references), ``writer`` and ``plan_writer``
(upsert rows by fhir_id, using the rules in ``mapping``, ``chart`` and ``plan``),
``summary`` (counts and the refusal); ``progress`` tells how far a large import has come.
The entry point is :func:`hub.fhir.importer.import_bundle` (and ``bundle.read_file``).
"""
