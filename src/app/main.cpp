// pgtwin entry point (placeholder until the app layer lands).
int main() { return 0; }
