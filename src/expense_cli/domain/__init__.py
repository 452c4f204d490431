"""The rules of `expense` (SPEC §1–2) as pure functions, and the use cases built on them."""
