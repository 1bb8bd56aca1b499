"""Reference catalogue: substances, precursors, HS 2022 codes, slang, countries, currencies."""
