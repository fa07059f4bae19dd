import pytest

from forum.models import PostStatus
from tests.support.factories import make_reply, make_thread, make_user


@pytest.mark.both_databases
def test_thread_and_reply_are_published_and_counted(app):
    author = make_user()
    outcome = make_thread(author)
    reply = make_reply(make_user(), outcome.thread.id)
    assert outcome.post.status == PostStatus.PUBLISHED
    assert reply.post.status == PostStatus.PUBLISHED
    assert outcome.thread.reply_count == 1
    assert outcome.thread.last_activity_at.tzinfo is not None
