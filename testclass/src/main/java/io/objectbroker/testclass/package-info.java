/**
 * The {@code testclass} command: checks a live deployment of the provisioning service end to
 * end, through its iSCSI LUNs where an initiator is installed ({@code iscsi}). The JUnit 5 and
 * Mockito harness against {@code MainServer} is this module's tests.
 */
package io.objectbroker.testclass;
