import * as vscode from 'vscode';

import type { AlertRow } from '../../core/early/treeAlerts';

/** What the Servers view shows above the servers: a scan problem or a warning not about a listed server's state. */
export type TreeAlert = AlertRow;

/** One alert row: contextValue `alert.<kind>`, so its menu offers Mark Resolved (and it can be told apart from a server). */
export class AlertTreeItem extends vscode.TreeItem {
  constructor(readonly alert: TreeAlert) {
    super(alert.message, vscode.TreeItemCollapsibleState.None);
    this.id = `alert:${alert.kind}:${alert.subject}`;
    this.tooltip = `${alert.message}\n\nRight-click → Mark Resolved hides it until it happens again.`;
    this.iconPath = alert.severity === 'critical'
      ? new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'))
      : alert.severity === 'warning' ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')) : new vscode.ThemeIcon('info');
    this.contextValue = `alert.${alert.kind}`;
    this.accessibilityInformation = { label: `${alert.severity === 'info' ? 'Note' : 'Warning'}: ${alert.message}` };
  }
}
