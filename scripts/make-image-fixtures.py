#!/usr/bin/python3
"""Small image files in the formats the loader must read, written by Pillow
(Debian's python3-pil) rather than by our own encoders:

    /usr/bin/python3 scripts/make-image-fixtures.py

Each is a 24x16 horizontal ramp (value = x * 10 + 5, 0..255), so a test can
check the decoded values: grey baseline and progressive JPEG, RGB progressive
JPEG, grey / RGB / RGBA 8-bit PNG, 16-bit grey PNG.
"""
import os

from PIL import Image

out = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "images")
os.makedirs(out, exist_ok=True)
W, H = 24, 16
ramp = [min(255, x * 10 + 5) for x in range(W)] * H

grey = Image.new("L", (W, H))
grey.putdata(ramp)
grey.save(os.path.join(out, "grey-baseline.jpeg"), quality=95)
grey.save(os.path.join(out, "grey-progressive.jpeg"), quality=95, progressive=True)
grey.convert("RGB").save(os.path.join(out, "rgb-progressive.jpeg"), quality=95, progressive=True)
grey.save(os.path.join(out, "grey.png"))
grey.convert("RGB").save(os.path.join(out, "rgb.png"))
rgba = grey.convert("RGBA")
rgba.putalpha(200)
rgba.save(os.path.join(out, "rgba.png"))
Image.frombytes("I;16", (W, H), b"".join(int(v * 257).to_bytes(2, "little") for v in ramp)).save(os.path.join(out, "grey16.png"))
print("wrote", sorted(os.listdir(out)))
