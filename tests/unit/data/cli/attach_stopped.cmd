attach
idle
