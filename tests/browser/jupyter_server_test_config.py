"""JupyterLab configuration for the browser tests (read by ``jupyter lab --config``).

Everything lives in the temporary folder ``MEDLAB_BROWSER_TMP`` made by ``run.sh``.
"""

import os
from pathlib import Path

tmp = Path(os.environ["MEDLAB_BROWSER_TMP"])
c = get_config()  # noqa: F821 - provided by traitlets when loading the file

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ.get("MEDLAB_BROWSER_PORT", "8899"))
c.ServerApp.port_retries = 0
c.ServerApp.open_browser = False
c.ServerApp.allow_root = True
c.ServerApp.root_dir = str(tmp / "workspace")
c.ServerApp.jpserver_extensions = {"medlab.server": True}
c.IdentityProvider.token = ""
c.PasswordIdentityProvider.hashed_password = ""
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LabApp.expose_app_in_browser = True
c.LabApp.workspaces_dir = str(tmp / "lab-workspaces")
c.LabApp.user_settings_dir = str(tmp / "lab-settings")
c.LanguageServerManager.autodetect = False
