"""How a person reached the desk when an agent logs their incident by hand (ITIL's contact type): plain data, so
`switchboard incident create --help` offers them without importing the database."""

CHANNELS = ("phone", "walk-in", "chat", "email", "other")
