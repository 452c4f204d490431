"""The rules of `expense` (reference §1–2) as pure functions, and the use cases built on them."""
