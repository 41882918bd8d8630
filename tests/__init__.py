"""The test suite as a package: every test imports its helpers as `tests.support...`, never a sibling module."""
