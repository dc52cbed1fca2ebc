/**
 * Not API: running the calls a peer sends, on either side of a connection. The {@code
 * Dispatcher} receives each CALL frame, finds the target's {@code ExposedObject} (the methods
 * of its remote interfaces, looked up once), checks the caller's roles, decodes the arguments
 * and runs the method on the worker pool or the I/O thread, then answers with a RESULT or
 * ERROR frame; {@code Hooks} runs the call interceptors around it.
 */
package io.objectbroker.internal.dispatch;
