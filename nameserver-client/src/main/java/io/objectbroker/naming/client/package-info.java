/** The {@code nsc} command: the name server from the shell. */
package io.objectbroker.naming.client;
