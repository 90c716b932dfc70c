import * as vscode from 'vscode';

export type MessageKind = 'info' | 'warning' | 'error' | 'loading';

const ICONS: Record<MessageKind, vscode.ThemeIcon> = {
  info: new vscode.ThemeIcon('info'),
  warning: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
  error: new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground')),
  loading: new vscode.ThemeIcon('loading~spin'),
};

/** Empty, loading and error states shown inside the tree rather than as pop-ups. */
export class MessageTreeItem extends vscode.TreeItem {
  constructor(label: string, kind: MessageKind, detail?: string, id?: string) {
    super(label, vscode.TreeItemCollapsibleState.None);
    if (id) this.id = id;
    this.iconPath = ICONS[kind];
    this.tooltip = detail ?? label;
    this.contextValue = `message.${kind}`;
  }
}
