"""The imperative shell: the factory's state behind the API, with its background loops.

- ``factory``: the async facade the API calls (registry, orders, plan).
- ``plan_keeper``: replans off the event loop whenever the inputs change.
- ``settings``: lease timing and planning effort.
"""
