"""JupyterHub for a course on one server, with the shared install of scripts/setup --system.

Started by scripts/hub (which sets the variables read here), as root: students log in with
their Unix account (PAM) if they are in the group MNIST_LAB_HUB_GROUP; each gets a JupyterLab
server of their own, run as them (LocalProcessSpawner) from the shared, read-only install, with
the course's notebooks copied into ~/mnist-lab on their first login (scripts/jupyterhub/singleuser).
The hub listens on 127.0.0.1 only: put a TLS proxy (nginx, Caddy) in front of it to open it to
the network.
"""
import os

home = os.environ["MNIST_LAB_HOME"]  # the shared install
c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ.get("MNIST_LAB_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
# The hub's state (user database, cookie secret, the proxy's token) in the folder it runs in.
c.JupyterHub.db_url = "sqlite:///jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "jupyterhub_cookie_secret"
c.ConfigurableHTTPProxy.command = [os.path.join(home, "hub", "node_modules", ".bin", "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = "jupyterhub-proxy.pid"

c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_groups = {os.environ.get("MNIST_LAB_HUB_GROUP", "mnist-lab")}
c.Authenticator.admin_users = set(filter(None, os.environ.get("MNIST_LAB_HUB_ADMINS", "").split(",")))

c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.path.join(home, "hub", "singleuser")]
c.Spawner.default_url = "/lab"
# What a student's server needs, and nothing of the admin's environment.
c.Spawner.env_keep = ["LANG", "LC_ALL"]
c.Spawner.environment = {
    "MNIST_LAB_HOME": home,
    "PATH": os.pathsep.join([os.path.join(home, "venv", "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
    "JUPYTER_PATH": os.path.join(home, "venv", "share", "jupyter"),
    # nbgrader: the exchange (read by the install's etc/jupyter/nbgrader_config.py) and who the
    # instructor is (their server opens in the course folder: scripts/jupyterhub/singleuser).
    "MNIST_LAB_EXCHANGE": os.environ.get("MNIST_LAB_EXCHANGE", "/srv/nbgrader/exchange"),
    "MNIST_LAB_INSTRUCTOR": os.environ.get("MNIST_LAB_INSTRUCTOR", ""),
}
# The first kernel of a student compiles a cell against the shared warm build: seconds, but a
# loaded server can take longer to start than JupyterHub's default allows.
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 120
# Inside each server, a kernel without an open tab is shut down after 30 idle minutes (the
# install's jupyter_server_config.json).
