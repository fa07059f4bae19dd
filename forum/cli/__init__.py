"""Command-line groups registered by the factory (`flask --app wsgi GROUP COMMAND`), one per area.

* users       create accounts
* demo        load the demo community for `make run`
* digest      send the email digests that are due (cron)
* moderation  train the community model, status, re-screen held posts, export moderator labels
* categories  list categories and set who can read them (access)
* trust       show and set members' trust levels (access)
* jobs        the background worker: on-call alerts for urgent cases
"""

from __future__ import annotations

from flask import Flask

from .access import categories_cli, trust_cli
from .demo import demo_group
from .digest import digest_group
from .jobs import jobs_group
from .moderation import moderation_cli
from .users import users_cli


def register(app: Flask) -> None:
    for group in (users_cli, digest_group, demo_group, moderation_cli, jobs_group, categories_cli,
                  trust_cli):
        app.cli.add_command(group)
