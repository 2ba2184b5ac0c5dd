"""Mutation testing: ``python -m tests.mutation`` (``make mutate``) runs mutmut per module group.

Each group (``groups.py``) mutates its own files and runs only the test folders that cover
them, in a scratch copy of the project under ``build/mutation/<group>/`` so the working tree
is never touched. The score per group goes to ``build/bench/mutation.json``; surviving mutants
that change no behaviour are listed, with the reason, in ``equivalent.toml``.
"""
