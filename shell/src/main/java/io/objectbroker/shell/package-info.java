/**
 * The interactive console, {@code obsh}: {@link io.objectbroker.shell.ObshCommand}. Not API:
 * every other class here is the command's own.
 */
package io.objectbroker.shell;
