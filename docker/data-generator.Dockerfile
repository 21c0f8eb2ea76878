# syntax=docker/dockerfile:1
# The article's `data-generator` service (its src/Dockerfile): Python with the article's clients,
# plus curl and bash for setup_connectors.sh. Build context: the repository root.
FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/demo
COPY demo/requirements.txt /opt/demo/requirements.txt
RUN pip install --no-cache-dir -r /opt/demo/requirements.txt
COPY demo/ /opt/demo/
# Like the article's container: it idles, and you run the scripts in it
# (`docker compose exec data-generator python run_demo.py`).
CMD ["sleep", "infinity"]
