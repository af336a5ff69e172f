"""What an agent action does to the world, and what the human allowed: docs/effects.md.

Imports only `tracehound.model`; parsers never import it. The knowledge is data
(`effects/data/*.yaml`), each table with its own tests.
"""
