"""A Tk window for the agent's screen tests: reads JSON commands on stdin, one per line,
`{"lines": [...], "title": str, "style": "plain"|"chat", "picture": bool, "animate": bool}`,
draws them, answers "shown". "animate" fills the window with lines that change twice a second.

"chat" draws each line as a messaging bubble, alternating the light-on-saturated colours that
plain Tesseract misses (blue, teal, dark mode) with dark text on light grey.
"""
from __future__ import annotations

import json
import random
import sys
import tkinter as tk

BUBBLES = [("#0084ff", "white"), ("#eeeeee", "#111111"), ("#128c7e", "#f0f0f0"),
           ("#1e1e1e", "#d4d4d4")]
FONT = ("DejaVu Sans", 12)

root = tk.Tk()
root.geometry("1280x800+0+0")
root.configure(bg="white")
frame = tk.Frame(root, bg="white")
frame.place(x=0, y=0, width=1280, height=800)


#: A photo-like patch of noise (pictures make real screenshots large); the same every time.
NOISE = tk.PhotoImage(data=b"P6 600 260 255 " + random.Random(6).randbytes(600 * 260 * 3))


WORDS = (
    "maths", "history", "lunch", "bus", "library", "homework", "science", "music", "football",
    "club", "art", "drama", "teacher", "register", "canteen", "geography", "french",
    "biology", "chemistry", "physics", "timetable", "assembly", "uniform", "project",
    "revision", "exam", "break", "playground", "netball"
)
animation: list[str] = []


def animate(labels: list[tk.Label], rng: random.Random) -> None:
    """Change every line, every half second: a screen that differs on every frame."""
    if not animation:
        return
    for label in labels:
        label.configure(text=" ".join(rng.choice(WORDS) for _ in range(9)))
    root.after(500, animate, labels, rng)


def show(command: dict) -> None:
    animation.clear()
    for child in frame.winfo_children():
        child.destroy()
    if command.get("animate"):
        labels = [tk.Label(frame, bg="white", font=FONT, anchor="w") for _ in range(20)]
        for i, label in enumerate(labels):
            label.place(x=20 + (i % 3) * 40, y=20 + i * 38)
        animation.append("on")
        animate(labels, random.Random(1))
    if command.get("picture"):
        tk.Label(frame, image=NOISE, borderwidth=0).place(x=600, y=500)
    root.title(command.get("title", "Chat"))
    chat = command.get("style") == "chat"
    for i, line in enumerate(command.get("lines", [])):
        bg, fg = BUBBLES[i % len(BUBBLES)] if chat else ("white", "black")
        label = tk.Label(frame, text=line, bg=bg, fg=fg, font=FONT, padx=12, pady=8,
                         anchor="w")
        label.place(x=40 + (i % 2) * 80 * chat, y=40 + i * 70)
    root.update()
    root.focus_force()
    root.update()
    root.after(150, lambda: print("shown", flush=True))


def on_input(*_: object) -> None:
    line = sys.stdin.readline()
    if not line:
        root.destroy()
        return
    show(json.loads(line))


root.tk.createfilehandler(sys.stdin, tk.READABLE, on_input)
root.update()
print("ready", flush=True)
root.mainloop()
