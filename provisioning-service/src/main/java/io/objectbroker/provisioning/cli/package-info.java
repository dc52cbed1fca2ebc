/** The {@code mainserver} command: serves a {@code MainServer} and registers it by name. */
package io.objectbroker.provisioning.cli;
