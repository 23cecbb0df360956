"""FHIR R4 export: the contact log as Communication resources, a patient's care plan as a
Bundle that ``hub import-fhir`` takes back unchanged.

Modules: ``refs`` (how the hub names patients, caregivers and staff to another system),
``communication`` (one contact -> one Communication) and ``notes`` (its log events as
sentences), ``care_plan`` (a patient's plan, team and chart -> resources), ``bundle`` (the
collection Bundle, written as it is built).
"""
