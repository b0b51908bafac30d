"""nbgrader's settings for everyone on a course server (the shared install's etc/jupyter).

Students and the instructor hand assignments, submissions and feedback to each other through
the exchange folder that scripts/hub makes and names in MNIST_LAB_EXCHANGE; the Assignments tab
lists this course's assignments only. The instructor's own course folder adds the settings for
the Rust kernel (its nbgrader_config.py, made by scripts/course).
"""
import os

c = get_config()  # noqa: F821 (nbgrader provides it)

c.CourseDirectory.course_id = "mnist-lab"
if os.environ.get("MNIST_LAB_EXCHANGE"):
    c.Exchange.root = os.environ["MNIST_LAB_EXCHANGE"]
