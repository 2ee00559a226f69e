// Writes without end and no newline: cut at the output limit, verdict `output_limit`.
const chunk = "x".repeat(65536);
for (;;) process.stdout.write(chunk);
