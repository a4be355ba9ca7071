"""CloneLab desktop app and command line: wires recorder/ and models/ to Qt."""
