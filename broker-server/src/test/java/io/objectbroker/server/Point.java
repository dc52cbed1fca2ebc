package io.objectbroker.server;

public record Point(int x, int y) {}
