"""Release rules: what a change does, as opposed to the state it leaves (destroying data, for one)."""
