# errorscape: the error-surface lab as one container.
#   docker build -t errorscape .
#   docker run --rm -p 8000:8000 -v errorscape-cache:/cache errorscape
# GPU build (JAX's CUDA wheels; needs the NVIDIA container toolkit on the host):
#   docker build --build-arg JAX_VARIANT=cuda12 -t errorscape:gpu .
#   docker run --rm --gpus all -p 8000:8000 -v errorscape-cache:/cache errorscape:gpu
FROM python:3.11-slim

# cpu (default), cuda12 or cuda13: the extra of the jax package that selects its backend.
ARG JAX_VARIANT=cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ERRORSCAPE_COMPILE_CACHE_DIR=/cache/jax

WORKDIR /app

# Pinned versions first, so a source change does not reinstall them.
COPY requirements.lock ./
RUN pip install --requirement requirements.lock \
 && pip install "jax[${JAX_VARIANT}]==0.10.2"

COPY pyproject.toml README.md LICENSE ./
# errorscape/ holds the import package's top and links to the source folders beside it.
COPY errorscape ./errorscape
COPY surfaces ./surfaces
COPY server ./server
COPY static ./static
RUN pip install --no-deps .

# A non-root user owns the compilation cache, which lives in a volume so compiled kernels
# survive the container.
RUN useradd --create-home --uid 10001 errorscape \
 && mkdir -p /cache/jax \
 && chown -R errorscape /cache
USER 10001
# The programs pages use, compiled into the cache the image ships: a container's first visit on
# a machine of the same CPU family compiles nothing (JAX keys its cache by jaxlib version,
# platform, XLA flags, compile options and device topology; the AVX cap in the flags keeps the
# code portable across x86 CPUs).  A named volume on /cache starts as a copy of it.
RUN errorscape warmup
VOLUME ["/cache"]

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4).status != 200)"]

CMD ["errorscape", "serve", "--host", "0.0.0.0"]
