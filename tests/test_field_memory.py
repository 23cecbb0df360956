"""What the process keeps in clear: a nurse's own name and work phone, read for every routing
decision, are decrypted once; a patient's data is decrypted at every read, never remembered."""

from __future__ import annotations

from sqlalchemy import Text, select, type_coerce

from hub.crypto import Encrypted
from hub.models import Base, Patient, Staff


def test_the_nurse_is_decrypted_once_the_patient_at_every_read(session, cipher,
                                                               monkeypatch) -> None:
    decrypted: list[str] = []
    decrypt = cipher.decrypt

    def counted(token: str) -> str:
        decrypted.append(token)
        return decrypt(token)

    monkeypatch.setattr(cipher, "decrypt", counted)
    session.add_all([Staff(name="Nora Diaz", phone="+13035550101", role="nurse"),
                     Patient(name="Walter Hughes", birth_date="1948-03-02")])
    session.commit()
    raw = session.execute(select(type_coerce(Staff.__table__.c.name, Text),
                                 type_coerce(Staff.__table__.c.phone, Text))).one()
    assert "Nora" not in raw[0] and "5550101" not in raw[1]  # stored encrypted as ever

    for _ in range(3):  # three decisions, each reading the nurse and the patient afresh
        session.expire_all()
        nurse = session.scalars(select(Staff)).one()
        patient = session.scalars(select(Patient)).one()
        assert (nurse.name, nurse.phone) == ("Nora Diaz", "+13035550101")
        assert (patient.name, patient.birth_date) == ("Walter Hughes", "1948-03-02")

    assert decrypted.count(raw[0]) == 1 and decrypted.count(raw[1]) == 1
    patient_tokens = session.execute(select(type_coerce(Patient.__table__.c.name, Text))).one()
    assert decrypted.count(patient_tokens[0]) == 3


def test_only_the_staffs_own_name_and_phone_are_ever_remembered() -> None:
    remembered = {f"{table.name}.{column.name}" for table in Base.metadata.tables.values()
                  for column in table.columns
                  if isinstance(column.type, Encrypted) and column.type.remember}
    assert remembered == {"staff.name", "staff.phone"}
