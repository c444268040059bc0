# An emu worker for sweeps on a Dask cluster: emu with the cross compiler and QEMU.
# Jobs carry their models by content, so the image needs no data and no shared file system.
#
#   docker build -t emu-worker .
#   docker run --rm emu-worker dask worker tcp://SCHEDULER:8786 --nworkers 2 --nthreads 1
#
# Every worker must run the same emu as the client (a job carries the client's source
# digest and a worker with other sources refuses it): build the image from the same commit.
FROM debian:12-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv gcc libc6-dev \
      gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm llvm \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/emu
COPY pyproject.toml README.md ./
COPY emu ./emu
RUN python3 -m venv /opt/emu/.venv \
 && /opt/emu/.venv/bin/pip install --no-cache-dir -q '.[cluster]'
ENV PATH=/opt/emu/.venv/bin:$PATH \
    EMU_CACHE=/var/cache/emu
# Build the trace plugin once, at image build time, so the first job does not pay for it; a
# missing required tool fails the build here (optional extras do not).
RUN emu doctor

CMD ["dask", "worker", "--help"]
