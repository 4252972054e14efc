"""Loaded by pytest before Django (pyproject: `-p tests.devmode`): the suite runs the development
configuration unless the environment says otherwise; tests that need production settings set them."""

import os
import tempfile

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("TASKS_IMMEDIATE", "1")  # background tasks run inside the request that queues them
os.environ.setdefault("TASK_QUEUE_FILE",  # a queued (not immediate) task, in the few tests that want one
                      os.path.join(tempfile.mkdtemp(prefix="stridesite-tasks-"), "tasks.sqlite3"))
os.environ.setdefault("INSTALLATION_NAME", "stridesite-tests")  # never a real installation's queue or groups
