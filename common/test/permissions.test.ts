import { expect } from 'chai';
import { decide, can, denialCode, type ChatAction, type Membership } from '@neonchat/common';

const admin: Membership = { role: 'admin', status: 'active' };
const member: Membership = { role: 'member', status: 'active' };
const banned: Membership = { role: 'member', status: 'banned' };
const bannedAdmin: Membership = { role: 'admin', status: 'banned' };
const left: Membership = { role: 'member', status: 'left' };

describe('permissions', () => {
  const manage: ChatAction[] = ['add_member', 'remove_member', 'change_role', 'ban', 'rename', 'delete_any_message'];

  it('lets group members read and post but not manage', () => {
    expect(can('read', 'group', member)).to.equal(true);
    expect(can('post', 'group', member)).to.equal(true);
    for (const action of manage) expect(decide(action, 'group', member)).to.deep.equal({ allowed: false, reason: 'admin_only' });
  });

  it('lets group admins do everything', () => {
    for (const action of [...manage, 'read', 'post', 'leave'] as ChatAction[]) expect(can(action, 'group', admin), action).to.equal(true);
  });

  it('lets only admins post in a channel', () => {
    expect(can('read', 'channel', member)).to.equal(true);
    expect(decide('post', 'channel', member)).to.deep.equal({ allowed: false, reason: 'admin_only' });
    expect(can('post', 'channel', admin)).to.equal(true);
    expect(can('typing', 'channel', member)).to.equal(false);
  });

  it('refuses everything to banned users, admins included', () => {
    for (const type of ['direct', 'group', 'channel'] as const) {
      expect(decide('read', type, banned)).to.deep.equal({ allowed: false, reason: 'banned' });
      expect(decide('post', type, bannedAdmin)).to.deep.equal({ allowed: false, reason: 'banned' });
    }
  });

  it('treats strangers and former members as not members', () => {
    expect(decide('read', 'group', null)).to.deep.equal({ allowed: false, reason: 'not_member' });
    expect(decide('read', 'group', left)).to.deep.equal({ allowed: false, reason: 'not_member' });
    expect(denialCode('not_member')).to.equal('not_found');
    expect(denialCode('banned')).to.equal('forbidden');
  });

  it('has no membership management in direct chats', () => {
    expect(can('post', 'direct', member)).to.equal(true);
    expect(decide('add_member', 'direct', admin)).to.deep.equal({ allowed: false, reason: 'not_in_direct_chat' });
    expect(can('leave', 'direct', member)).to.equal(false);
  });
});
