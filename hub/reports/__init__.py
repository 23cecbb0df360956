"""The manager's reports as plain functions of a database session: the contact log with its
filters, a contact's timeline, response times, interruptions, CCM codes, the access audit.
The pages (:mod:`hub.web.manager`) and the benchmark call them; they decrypt only the rows a
page shows."""
