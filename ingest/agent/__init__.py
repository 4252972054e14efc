"""The ingest agent: leggings over BLE (or virtual leggings) → spool → server websocket."""
