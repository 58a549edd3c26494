"""Many practices on a Celery fleet with Redis: a registry of practices, workers that sync them
one at a time each, and a beat that enqueues what each practice's ``[schedule]`` makes due.

Everything here needs the fleet extras (``pip install 'clinicops[fleet]'``) and is imported
only by the fleet's commands: the single-practice path never loads Celery or Redis. See
docs/fleet.md.
"""
