"""Thinline: the revenue warehouse for the thin line between marketing and sales."""
