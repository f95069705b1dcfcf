"""The seeded demo world of Kota Pontianak (spec §10)."""
