"""Wire formats, pure Python/numpy: the leggings' BLE packets and the agent → server frames."""
