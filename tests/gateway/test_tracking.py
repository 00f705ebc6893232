"""The public tracking page: status in colour, public history, proof photo; no identity, no secrets."""

from tests.helpers import VERIFIER, citizen, move, new_report, proof_photo


def test_the_page_shows_status_history_and_proof_but_never_the_reporter(client, units_db, config, wilayah):
    phone, email = citizen()
    report = new_report(
        units_db, config, wilayah, description="Saya Siti Rahayu, lampu jalan mati <script>alert(1)</script>",
        category="listrik", reporter_contacts=(phone, email),
    )
    move(units_db, config, report.ticket, "ditangani", note="Petugas berangkat")
    move(units_db, config, report.ticket, "koordinasi", note="catatan internal", note_public=False)
    move(units_db, config, report.ticket, "ditangani")
    photo = proof_photo(units_db, config, report.ticket)
    move(units_db, config, report.ticket, "verifikasi", proof_attachment_id=photo.id)
    move(units_db, config, report.ticket, "selesai", actor=VERIFIER, note="Lampu sudah menyala")
    page = client.get(f"/t/{report.ticket}?k={report.public_token}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "Selesai" in html and "#2e7d32" in html and "hijau" in html
    assert "Petugas berangkat" in html and "Lampu sudah menyala" in html
    assert f"/media/{photo.public_token}" in html
    assert "catatan internal" not in html
    for secret in ("Siti", "Rahayu", "+6281234567890", "siti.rahayu@example.com"):
        assert secret not in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    english = client.get(f"/t/{report.ticket}?k={report.public_token}&lang=en").get_data(as_text=True)
    assert "Track report" in english and "Done" in english


def test_a_wrong_or_missing_token_is_not_found(client, units_db, config, wilayah):
    report = new_report(units_db, config, wilayah)
    assert client.get(f"/t/{report.ticket}").status_code == 404
    assert client.get(f"/t/{report.ticket}?k=guess").status_code == 404
    assert client.get("/t/JKT-2611-99999?k=x").status_code == 404
