"""What the tests share (test modules never import from each other; they import from here).

* factories      members, threads and replies made through the real use cases
* web            signing in through the form, CSRF tokens, posting forms
* api            API tokens, the API's error shape
* queries        the one SQL query counter (bench/ uses it too)
* fake_pipeline  a deterministic stand-in for moderation.Pipeline
* mail           an outbox standing in for SMTP, and the links in account emails
* cli            running `flask --app wsgi ...` as a subprocess
"""
