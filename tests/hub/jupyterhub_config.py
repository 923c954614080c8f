"""JupyterHub configuration of the hub test (read by ``jupyterhub -f``; made for ``run.sh``).

The class configuration of docs/teaching.md (``class_config.py``), then what a test on
one machine must replace: a real JupyterHub on 127.0.0.1 with its configurable-http-proxy,
two learners (``ada`` and ``ben``) who log in with a test password (``DummyAuthenticator``)
and each get their own single-user JupyterLab server from the venv
(``SimpleLocalProcessSpawner``: a process of this user whose ``HOME`` is a folder of the
learner's own), run as root (``--allow-root``). Nothing else MedLab-specific is set: the
single-user servers get MedLab as it is installed, and MedLab finds each learner's progress
(``~/.local/share/jupyter/medlab``) and workspace (the server's root, the learner's home)
from ``HOME``.

Everything it writes lives in ``MEDLAB_HUB_TMP``; the ports come from ``MEDLAB_HUB_PORT``,
``MEDLAB_HUB_API_PORT`` and ``MEDLAB_HUB_PROXY_API_PORT``.
"""

import os
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
tmp = Path(os.environ["MEDLAB_HUB_TMP"])
venv_bin = Path(sys.executable).parent
c = get_config()  # noqa: F821 - provided by traitlets when loading the file
load_subconfig(str(here / "class_config.py"))  # noqa: F821 - provided by traitlets

# Ports on the loopback interface only.
c.JupyterHub.bind_url = f"http://127.0.0.1:{os.environ['MEDLAB_HUB_PORT']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ['MEDLAB_HUB_API_PORT']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['MEDLAB_HUB_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.command = [str(here / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(tmp / "proxy.pid")
c.JupyterHub.pid_file = str(tmp / "jupyterhub.pid")
c.JupyterHub.db_url = f"sqlite:///{tmp / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(tmp / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# Two learners, one test password.
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ["MEDLAB_HUB_PASSWORD"]
c.Authenticator.allowed_users = {"ada", "ben"}
c.Authenticator.admin_users = set()

# One single-user JupyterLab per learner, from the venv, each with its own HOME.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(tmp / "homes" / "{username}")
c.Spawner.cmd = [str(venv_bin / "jupyterhub-singleuser")]
c.Spawner.environment = {**c.Spawner.environment, "MEDLAB_DATA_DIR": str(tmp / "class-data")}
c.Spawner.args = [*c.Spawner.args, "--allow-root", "--LabApp.expose_app_in_browser=True"]
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
