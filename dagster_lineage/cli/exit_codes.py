"""The CLI's exit codes, one definition for every command.

Examples:
    >>> EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_NO_ASSET
    (0, 1, 2, 3)
"""

EXIT_OK = 0
"""Nothing found (or the command printed what was asked)."""
EXIT_FINDINGS = 1
"""The command found what it checks for (a breaking change, a changed asset)."""
EXIT_ERROR = 2
"""Bad input: one line naming the thing and the fix, never a traceback."""
EXIT_NO_ASSET = 3
"""``impact``: the named asset is not in the graph (or is ambiguous)."""
