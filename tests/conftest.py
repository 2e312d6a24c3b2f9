"""Every test runs with the message catalogue strict: a key the code asks for that is not
in a language's catalogue (or a placeholder left without a value) raises, so a missing
translation fails the test that shows the text instead of printing the key."""

from matcher import catalog

catalog.STRICT = True
