package io.objectbroker.internal.calls;

/**
 * One call of a batch: a method of the batch's object, by name, with its arguments (chosen
 * among the exposed methods as for a single call).
 */
public record BatchCall(String method, Object[] args) {}
