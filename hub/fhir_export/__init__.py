"""FHIR R4 export: the contact log as Communication resources, a patient's care plan as a
Bundle that ``hub import-fhir`` takes back unchanged.

Modules: ``refs`` (how the hub names patients, caregivers and staff to another system),
``communication`` (one contact -> one Communication) and ``notes`` (its log events as
sentences), ``care_plan`` (a patient's people, team and problems -> resources, and the
whole export's order) with ``plan`` (CarePlan, Goal, ClinicalImpression), ``plan_values``
(the texts the import kept -> the elements it reads them from) and ``chart`` (medications,
allergies, consents), ``elements`` (small shared element builders), ``bundle`` (the
collection Bundle, written as it is built).
"""
