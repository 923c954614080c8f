"""A minimal ``jupyterhub_config.py`` for a class using MedLab (docs/teaching.md shows it).

Learners log in with their Unix accounts (PAM, JupyterHub's default authenticator) and
each gets their own JupyterLab with the MedLab panel, started in their home folder
(JupyterHub's default local-process spawner). MedLab needs nothing else from the hub:
each learner's progress and lesson copies follow from their ``HOME``.

``make test-hub`` runs this file: ``jupyterhub_config.py`` beside it loads it and then
replaces only what a test on one machine must (two test learners with a test password,
a spawner that needs no Unix accounts, ports on 127.0.0.1, ``--allow-root``).
"""

c = get_config()  # noqa: F821 - provided by traitlets when loading the file

# Who may log in (Unix accounts); the teacher can see and stop the learners' servers.
c.Authenticator.allowed_users = {"ada", "ben", "chloe"}
c.Authenticator.admin_users = {"teacher"}

# Each learner's server opens JupyterLab, where the MedLab panel is.
c.Spawner.default_url = "/lab"
# MedLab's settings for every learner (the hub's own environment is not passed on):
# fast mode sizes every lesson's training for a shared server, and the datasets are
# fetched once for the class into a folder the learners only read.
c.Spawner.environment = {
    "MEDLAB_FAST": "1",
    "MEDLAB_DATA_DIR": "/srv/medlab/data",
}
# A kernel left idle for 30 minutes is stopped: a kernel that trained a model holds
# 0.5 to 1 GB of its own, and memory, not CPU, is what limits the class size.
c.Spawner.args = [
    "--MappingKernelManager.cull_idle_timeout=1800",
    "--MappingKernelManager.cull_interval=300",
]
