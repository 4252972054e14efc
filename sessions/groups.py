"""Channel-layer group names for live streaming, shared by producers and consumers."""


def squad_group(squad_id: int) -> str:
    return f"squad.{squad_id}"


def runner_group(runner_id: int) -> str:
    return f"runner.{runner_id}"
