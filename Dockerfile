# equos-mock in a container: the README's first command, split into its install (RUN) and its serve
# command (CMD), plus --host 0.0.0.0 so that the published port reaches it. Not built by our CI (its
# runner has no container engine); tests/docs/test_container.py keeps the commands the README's.
FROM python:3.11-slim
WORKDIR /opt/equos-mock
COPY . .
RUN python3 -m venv .venv && .venv/bin/pip install -q .
EXPOSE 8787
CMD [".venv/bin/equos-mock", "serve", "--host", "0.0.0.0"]
